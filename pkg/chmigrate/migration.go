package chmigrate

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

// Migration is one numbered migration file.
type Migration struct {
	// Version is the file's number, NNNN in NNNN_name.sql.
	Version uint32
	// Name is the part after the number, without .sql.
	Name string
	// Source is the unrendered template text.
	Source string
	// Checksum is the hex SHA-256 of Source: rendering options (database,
	// cluster) do not change it.
	Checksum string
}

var fileRE = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// Load reads the *.sql files at the root of fsys, sorted by version. Other
// files (e.g. .keep) are ignored; a .sql file not named NNNN_name.sql or a
// duplicate version is an error.
func Load(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	seen := map[uint32]string{}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		m := fileRE.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", e.Name())
		}
		v, _ := strconv.ParseUint(m[1], 10, 32)
		if prev, dup := seen[uint32(v)]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", prev, e.Name(), v)
		}
		seen[uint32(v)] = e.Name()
		src, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(src)
		out = append(out, Migration{Version: uint32(v), Name: m[2], Source: string(src), Checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Statements renders the migration for opts and splits it into statements.
func (m Migration) Statements(opts Options) ([]string, error) {
	var out []string
	for i, part := range Split(m.Source) {
		stmts, _, err := renderPart(m.label(), i, m.Version, part, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, stmts...)
	}
	return out, nil
}

func (m Migration) label() string { return fmt.Sprintf("%04d_%s", m.Version, m.Name) }

// createRE finds the table a statement creates.
var createRE = regexp.MustCompile(`(?is)^(?:\s*--[^\n]*\n)*\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\{\{\s*\.DB\s*\}\}\.)([A-Za-z_][A-Za-z0-9_]*)`)

// Render splits a migration template into statements and renders each with
// opts (see the package doc). In sharded mode a statement that creates a
// table of ShardingKeys creates its local table instead and is followed by
// the statement that creates the Distributed table. A "-- rebuild"
// statement renders as the CREATE TABLE of the new table its copy-swap
// fills (Apply runs the whole copy-swap).
func Render(name, src string, opts Options) ([]string, error) {
	var out []string
	for i, part := range Split(src) {
		stmts, _, err := renderPart(name, i, 0, part, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, stmts...)
	}
	return out, nil
}

// renderPart renders statement i of a migration. A rebuild statement of
// migration version renders as the CREATE TABLE of its fresh table and
// comes back with its spec.
func renderPart(name string, i int, version uint32, part string, opts Options) ([]string, *rebuildSpec, error) {
	opts = opts.withDefaults()
	if err := opts.Validate(); err != nil {
		return nil, nil, err
	}
	rb, err := parseRebuild(part)
	if err != nil {
		return nil, nil, fmt.Errorf("migration %s statement %d: %w", name, i+1, err)
	}
	table, zk := "", ""
	if m := createRE.FindStringSubmatchIndex(part); m != nil {
		table = part[m[4]:m[5]]
		switch {
		case rb != nil:
			n := namesOf(opts, table, version)
			part, zk = part[:m[4]]+n.fresh+part[m[5]:], n.zk
		case opts.IsSharded(table):
			part = part[:m[5]] + LocalSuffix + part[m[5]:]
		}
	}
	tmpl, err := template.New(name).Option("missingkey=error").Funcs(template.FuncMap{
		"engine": func(engine string, args ...string) string { return opts.engine(table, zk, engine, args...) },
		"local":  opts.Local,
	}).Parse(part)
	if err != nil {
		return nil, nil, fmt.Errorf("parse migration %s statement %d: %w", name, i+1, err)
	}
	var b bytes.Buffer
	data := struct{ DB, Cluster, OnCluster string }{opts.Database, opts.Cluster, opts.OnCluster()}
	if err := tmpl.Execute(&b, data); err != nil {
		return nil, nil, fmt.Errorf("render migration %s statement %d: %w", name, i+1, err)
	}
	if !hasCode(b.String()) { // a statement a template condition left out
		return nil, nil, nil
	}
	out := []string{strings.TrimSpace(b.String())}
	if rb == nil && opts.IsSharded(table) {
		out = append(out, opts.distributed(table))
	}
	return out, rb, nil
}

// Split splits rendered SQL into statements: a statement ends at a line
// whose trimmed text ends in ";" and is not a "--" comment. Statements that
// hold only comments and blank lines are dropped; the ";" is removed.
func Split(sql string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimSpace(cur.String()); hasCode(s) {
			out = append(out, s)
		}
		cur.Reset()
	}
	for line := range strings.SplitSeq(sql, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasSuffix(t, ";") && !strings.HasPrefix(t, "--") {
			cur.WriteString(strings.TrimSuffix(strings.TrimRight(line, " \t\r"), ";"))
			flush()
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	flush()
	return out
}

func hasCode(s string) bool {
	for line := range strings.SplitSeq(s, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "--") {
			return true
		}
	}
	return false
}
