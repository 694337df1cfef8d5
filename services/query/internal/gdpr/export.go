package gdpr

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/pkg/junkid"
	"github.com/cemhq/cem/services/query/internal/chstore"
)

// Export is all stored data of a customer, table by table.
type Export struct {
	CustomerID string                      `json:"customer_id"`
	IDs        []string                    `json:"ids"`
	ExportedAt time.Time                   `json:"exported_at"`
	Tables     map[string][]map[string]any `json:"tables"`
	// Truncated lists tables with more rows than the per-table limit.
	Truncated []string `json:"truncated,omitempty"`
	// Audit is the audit log row of this export.
	Audit Audit `json:"audit"`
}

// Exporter exports customers' data.
type Exporter struct {
	st     *chstore.Store
	layout chmigrate.Options
	junk   junkid.Set
	// MaxRows caps the rows exported per table.
	MaxRows int
}

// NewExporter returns an Exporter over st, for tables laid out as
// opts.Layout says, exporting at most maxRows rows per table.
func NewExporter(st *chstore.Store, opts Options, maxRows int) *Exporter {
	return &Exporter{st: st, layout: opts.Layout, junk: opts.Junk, MaxRows: maxRows}
}

// Export returns every row, in any table with an identity column, that
// holds one of the request's ids (junk ids left out), and records the
// export in the audit log.
func (x *Exporter) Export(ctx context.Context, req Request) (*Export, error) {
	a := Audit{ID: newID("au_"), Action: "export", Token: req.Token, CustomerID: req.Customer, Outcome: "ok"}
	out, err := x.export(ctx, req)
	a.At = time.Now().UTC()
	if err != nil {
		a.Outcome, a.Detail = "failed", err.Error()
		return nil, errors.Join(err, recordAudit(ctx, x.st, a))
	}
	a.Detail = fmt.Sprintf("%d ids, %d tables", len(out.IDs), len(out.Tables))
	if err := recordAudit(ctx, x.st, a); err != nil {
		return nil, err
	}
	out.Audit = a
	return out, nil
}

func (x *Exporter) export(ctx context.Context, req Request) (*Export, error) {
	if err := CheckID(x.junk, req.Customer); err != nil {
		return nil, err
	}
	var ids []string
	for _, id := range req.IDs {
		if !x.junk.Is(id) {
			ids = append(ids, id)
		}
	}
	ts, err := tables(ctx, x.st, x.layout)
	if err != nil {
		return nil, err
	}
	out := &Export{CustomerID: req.Customer, IDs: ids, ExportedAt: time.Now().UTC(), Tables: map[string][]map[string]any{}}
	for _, t := range ts {
		cond, args := t.cond(ids)
		var list []map[string]any
		err := x.st.Rows(ctx, func(rows driver.Rows) (err error) {
			list, err = scanAll(rows)
			return err
		}, fmt.Sprintf("SELECT * FROM %s.%s%s WHERE %s LIMIT %d", x.st.DB(), t.Name, t.final(), cond, x.MaxRows+1), args...)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", t.Name, err)
		}
		if len(list) > x.MaxRows {
			list = list[:x.MaxRows]
			out.Truncated = append(out.Truncated, t.Name)
		}
		if len(list) > 0 {
			out.Tables[t.Name] = list
		}
	}
	return out, nil
}

// scanAll reads rows of any shape into maps keyed by column name.
func scanAll(rows driver.Rows) ([]map[string]any, error) {
	cols := rows.Columns()
	types := rows.ColumnTypes()
	out := []map[string]any{}
	for rows.Next() {
		ptrs := make([]any, len(cols))
		for i, ct := range types {
			ptrs[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		m := make(map[string]any, len(cols))
		for i, c := range cols {
			m[c] = reflect.ValueOf(ptrs[i]).Elem().Interface()
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
