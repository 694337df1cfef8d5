package chcompat

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Format is the output format the replay compares in.
const Format = "TabSeparatedWithNamesAndTypes"

// HTTPServer is a ClickHouse server's HTTP interface (the reference side of
// the replay: ClickHouse 18.16).
type HTTPServer struct {
	// Addr is host:port.
	Addr   string
	Client *http.Client
}

// Query runs sql with database as the current database and returns the
// answer in Format.
func (s HTTPServer) Query(ctx context.Context, database, sql string) (string, error) {
	q := url.Values{"database": {database}, "default_format": {Format}}
	u := "http://" + s.Addr + "/?" + q.Encode()
	return s.post(ctx, u, sql)
}

// NativeURL is the URL that answers the rows of one data part of table in
// the Native format, in their stored order (for ClickHouse 26's url()
// table function).
func (s HTTPServer) NativeURL(database, table, part string) string {
	q := url.Values{
		"query":       {"SELECT * FROM " + database + "." + table + " WHERE _part = '" + part + "' FORMAT Native"},
		"max_threads": {"1"},
	}
	return "http://" + s.Addr + "/?" + q.Encode()
}

func (s HTTPServer) post(ctx context.Context, u, sql string) (string, error) {
	c := s.Client
	if c == nil {
		c = &http.Client{Timeout: 5 * time.Minute}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(sql))
	if err != nil {
		return "", fmt.Errorf("query clickhouse %s: %w", s.Addr, err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("query clickhouse %s: %w", s.Addr, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("query clickhouse %s: %w", s.Addr, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("query clickhouse %s: %s: %s", s.Addr, resp.Status, strings.TrimSpace(string(b)))
	}
	return string(b), nil
}
