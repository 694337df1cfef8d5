package deploytest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// root returns the repository root (the directory holding go.work).
func root(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "go.work not found above the test directory")
		dir = parent
	}
}

// path joins elems onto the repository root.
func path(t testing.TB, elems ...string) string {
	t.Helper()
	return filepath.Join(append([]string{root(t)}, elems...)...)
}

func readFile(t testing.TB, elems ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(path(t, elems...))
	require.NoError(t, err)
	return b
}

// readYAML decodes one YAML document of the repository into v.
func readYAML(t testing.TB, v any, elems ...string) {
	t.Helper()
	require.NoError(t, yaml.Unmarshal(readFile(t, elems...), v), filepath.Join(elems...))
}

// lookTool skips the test when a command-line tool is missing.
func lookTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not on PATH: skipping the check that needs it", name)
	}
	return p
}

// services are the cem services that ship an image, with their HTTP port.
var services = map[string]int{"collector": 8080, "processor": 8082, "query": 8090}
