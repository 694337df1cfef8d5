package chconn

import (
	"context"
	"errors"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// codeUnknownDatabase is ClickHouse's UNKNOWN_DATABASE error code.
const codeUnknownDatabase = 81

// Open returns a pinged connection pool to cfg.Database, creating the
// database first when it does not exist. It uses the native protocol only
// (HTTP does not work with 18.16). It sends query settings only in sharded
// mode (those of Config.Sharded, known to 18.16 and current releases): old
// servers reject settings they do not know.
func Open(ctx context.Context, cfg Config) (driver.Conn, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	conn, err := open(ctx, cfg, cfg.Database)
	if IsUnknownDatabase(err) {
		if err = EnsureDatabase(ctx, cfg); err == nil {
			conn, err = open(ctx, cfg, cfg.Database)
		}
	}
	if err != nil {
		return nil, err
	}
	return conn, nil
}

// EnsureDatabase creates cfg.Database if it does not exist, over a
// short-lived connection to the always-present "default" database.
func EnsureDatabase(ctx context.Context, cfg Config) error {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	conn, err := open(ctx, cfg, "default")
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+cfg.Database); err != nil {
		return fmt.Errorf("create database %s: %w", cfg.Database, err)
	}
	return nil
}

// IsUnknownDatabase reports whether err is ClickHouse's UNKNOWN_DATABASE.
func IsUnknownDatabase(err error) bool {
	var ex *clickhouse.Exception
	return errors.As(err, &ex) && ex.Code == codeUnknownDatabase
}

func open(ctx context.Context, cfg Config, database string) (driver.Conn, error) {
	opts := &clickhouse.Options{
		Protocol:             clickhouse.Native,
		Addr:                 cfg.Addrs(),
		Auth:                 clickhouse.Auth{Database: database, Username: cfg.User, Password: cfg.Password},
		DialTimeout:          cfg.DialTimeout,
		ReadTimeout:          cfg.ReadTimeout,
		MaxOpenConns:         cfg.MaxOpenConns,
		MaxIdleConns:         cfg.MaxIdleConns,
		ConnMaxLifetime:      cfg.ConnMaxLifetime,
		ConnOpenStrategy:     clickhouse.ConnOpenInOrder,
		FreeBufOnConnRelease: !cfg.KeepBuffers,
		ClientInfo:           clickhouse.ClientInfo{Products: []struct{ Name, Version string }{{Name: "cem", Version: "1"}}},
		Logger:               recordingLogger(database),
	}
	if cfg.Sharded {
		opts.Settings = clickhouse.Settings{"insert_distributed_sync": 1}
	}
	if cfg.Compression == "lz4" {
		opts.Compression = &clickhouse.Compression{Method: clickhouse.CompressionLZ4}
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("open clickhouse %s: %w", cfg.Addr, err)
	}
	if err := conn.Ping(ctx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("ping clickhouse %s/%s: %w", cfg.Addr, database, err)
	}
	return pool{conn}, nil
}
