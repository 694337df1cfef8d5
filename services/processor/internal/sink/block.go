package sink

import (
	"fmt"
	"reflect"
)

// Block is the rows of one table written in one INSERT. Data holds one slice
// per column, in the order of Columns, all of length Rows, typed as
// clickhouse-go expects for columnar appends ([]string for String, []uint8 for
// UInt8, []int64 for Int64, []uint64 for UInt64, []float64 for Float64,
// []*float64 for Nullable(Float64), []time.Time for DateTime).
type Block struct {
	// Table is the unqualified table name; the Writer adds the database.
	Table string
	// Columns names the columns of the explicit INSERT column list.
	Columns []string
	// Data holds one column slice per entry of Columns.
	Data []any
	// Rows is the number of rows in every column slice.
	Rows int
	// Build, when set, makes Data and Rows once, off the flush loop, where
	// the time would hold up the next flush: a stage hands over rows it no
	// longer changes (the events of a flush), and the Writer builds them
	// before the block's first insert (for a sealed block, stage.Sealer,
	// while the previous flush's writes may still run).
	Build func() (data []any, rows int)
}

// Check reports a malformed block (a programmer error).
func (b Block) Check() error {
	if len(b.Columns) != len(b.Data) {
		return fmt.Errorf("block %s: %d columns but %d data slices", b.Table, len(b.Columns), len(b.Data))
	}
	for i, d := range b.Data {
		v := reflect.ValueOf(d)
		if v.Kind() != reflect.Slice || v.Len() != b.Rows {
			return fmt.Errorf("block %s: column %s is not a slice of %d rows", b.Table, b.Columns[i], b.Rows)
		}
	}
	return nil
}
