package chmigrate

import (
	"io/fs"

	"github.com/cemhq/cem/schemas"
)

func repoMigrations() ([]Migration, error) {
	sub, err := fs.Sub(schemas.ClickHouse, "clickhouse")
	if err != nil {
		return nil, err
	}
	return Load(sub)
}

// SetCrashAt sets the rebuild's crash hook (nil: none).
func SetCrashAt(f func(table, step string) error) { crashAt = f }
