package maintest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cemhq/cem/pkg/telemetry"
)

// marker tells the re-executed test binary what to run instead of tests:
// "main" the service's main function, "load" only its configuration loading
// and validation (exit 0 when valid).
const marker = "CEM_MAINTEST_RUN"

// Dispatch runs main (or only telemetry.LoadConfig of C) and exits when the
// process is a child started by Run or ExpectConfigErrors; otherwise it
// returns at once. Call it first in TestMain.
func Dispatch[C any, P telemetry.Validated[C]](main func()) {
	switch os.Getenv(marker) {
	case "main":
		main()
		os.Exit(0)
	case "load":
		if _, err := telemetry.LoadConfig[C, P](); err != nil {
			fmt.Fprintln(os.Stderr, "config:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
}

// Run starts main in a child process with exactly env (KEY=value entries;
// nothing is inherited) and returns its exit status and standard error. A
// child still running after timeout is killed and the test fails.
func Run(t testing.TB, timeout time.Duration, env ...string) (int, string) {
	t.Helper()
	return run(t, "main", timeout, env)
}

func run(t testing.TB, what string, timeout time.Duration, env []string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append([]string{marker + "=" + what}, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("main with %v still ran after %s; stderr:\n%s", env, timeout, stderr.String())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("start main: %v", err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// Case is one invalid environment: With and Env are added to the valid
// base environment and Variable must be named in the error.
type Case struct {
	Env      string   // KEY=value, the invalid variable
	With     []string // KEY=value the rule depends on (e.g. the feature's switch)
	Variable string   // defaults to Env's key
}

// ExpectConfigErrors first requires base to be a valid configuration, then
// runs main once per case with base plus the case's variable and requires
// exit status 2 with the variable named on stderr.
func ExpectConfigErrors(t *testing.T, base []string, cases []Case) {
	t.Helper()
	if code, stderr := run(t, "load", 30*time.Second, base); code != 0 {
		t.Fatalf("the base environment %v is not valid (exit %d):\n%s", base, code, stderr)
	}
	for _, c := range cases {
		want := c.Variable
		if want == "" {
			want, _, _ = strings.Cut(c.Env, "=")
		}
		t.Run(c.Env, func(t *testing.T) {
			t.Parallel()
			code, stderr := Run(t, 30*time.Second, append(append(append([]string{}, base...), c.With...), c.Env)...)
			if code != 2 || !strings.Contains(stderr, want) {
				t.Fatalf("exit %d (want 2), stderr does not name %s or does:\n%s", code, want, stderr)
			}
		})
	}
}
