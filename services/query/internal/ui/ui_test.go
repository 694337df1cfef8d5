package ui

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func serve(t *testing.T, method, target string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec.Result()
}

func TestHandlerServesIndex(t *testing.T) {
	for _, target := range []string{"/", "/index.html"} {
		t.Run(target, func(t *testing.T) {
			res := serve(t, http.MethodGet, target)
			require.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
			assert.Contains(t, res.Header.Get("Content-Security-Policy"), "default-src 'none'")
			assert.Contains(t, res.Header.Get("Content-Security-Policy"), "connect-src 'self'")
			assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			want, err := fs.ReadFile(Assets(), "index.html")
			require.NoError(t, err)
			assert.Equal(t, string(want), string(body))
		})
	}
}

func TestHandlerAssetContentTypes(t *testing.T) {
	want := map[string]string{
		".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
		".svg": "image/svg+xml", ".html": "text/html; charset=utf-8",
	}
	n := 0
	err := fs.WalkDir(Assets(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "index.html" {
			return err
		}
		n++
		t.Run(p, func(t *testing.T) {
			ctype, ok := want[path.Ext(p)]
			require.True(t, ok, "asset %s has an extension the handler does not serve", p)
			res := serve(t, http.MethodGet, "/assets/"+p)
			require.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, ctype, res.Header.Get("Content-Type"))
			assert.Equal(t, csp, res.Header.Get("Content-Security-Policy"))
			assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			assert.NotEmpty(t, body)
		})
		return nil
	})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, 5, "the embedded assets are there")
}

func TestHandlerRejects(t *testing.T) {
	tests := []struct {
		name, method, target string
		code                 int
	}{
		{"unknown path", http.MethodGet, "/nope", http.StatusNotFound},
		{"asset folder", http.MethodGet, "/assets/", http.StatusNotFound},
		{"index under assets", http.MethodGet, "/assets/index.html", http.StatusNotFound},
		{"traversal", http.MethodGet, "/assets/../ui.go", http.StatusNotFound},
		{"missing asset", http.MethodGet, "/assets/missing.js", http.StatusNotFound},
		{"source file type", http.MethodGet, "/assets/app.go", http.StatusNotFound},
		{"post", http.MethodPost, "/", http.StatusMethodNotAllowed},
		{"delete asset", http.MethodDelete, "/assets/app.js", http.StatusMethodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := serve(t, tc.method, tc.target)
			assert.Equal(t, tc.code, res.StatusCode)
		})
	}
}

func TestHandlerHead(t *testing.T) {
	res := serve(t, http.MethodHead, "/assets/app.css")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "text/css; charset=utf-8", res.Header.Get("Content-Type"))
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	assert.Empty(t, body)
}

// urlRE finds absolute and protocol-relative URLs.
var urlRE = regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)

// svgNS is the SVG namespace: an identifier, never fetched.
const svgNS = "http://www.w3.org/2000/svg"

func TestAssetsMakeNoExternalRequests(t *testing.T) {
	err := fs.WalkDir(Assets(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Assets(), p)
		require.NoError(t, err)
		text := strings.ReplaceAll(string(b), svgNS, "")
		assert.Empty(t, urlRE.FindAllString(text, -1), "%s refers to another origin", p)
		assert.NotContains(t, text, "@import", "%s imports CSS", p)
		return nil
	})
	require.NoError(t, err)
}

func TestAssetReferencesExist(t *testing.T) {
	refs := map[string]*regexp.Regexp{
		"index.html": regexp.MustCompile(`(?:src|href)="/assets/([^"]+)"`),
	}
	importRE := regexp.MustCompile(`from '\./([^']+)'`)
	idx, err := fs.ReadFile(Assets(), "index.html")
	require.NoError(t, err)
	for _, m := range refs["index.html"].FindAllStringSubmatch(string(idx), -1) {
		_, err := fs.Stat(Assets(), m[1])
		assert.NoError(t, err, "index.html refers to %s", m[1])
	}
	js, err := fs.Glob(Assets(), "*.js")
	require.NoError(t, err)
	for _, f := range js {
		b, err := fs.ReadFile(Assets(), f)
		require.NoError(t, err)
		for _, m := range importRE.FindAllStringSubmatch(string(b), -1) {
			_, err := fs.Stat(Assets(), m[1])
			assert.NoError(t, err, "%s imports %s", f, m[1])
		}
		assert.NotContains(t, string(b), ".innerHTML =", "%s sets HTML from strings", f)
	}
}

// TestAssetsFitCSP checks that nothing needs what the policy forbids:
// inline scripts, event handler or style attributes in index.html, and
// string evaluation in the scripts.
func TestAssetsFitCSP(t *testing.T) {
	idx, err := fs.ReadFile(Assets(), "index.html")
	require.NoError(t, err)
	html := string(idx)
	for _, m := range regexp.MustCompile(`<script[^>]*>`).FindAllString(html, -1) {
		assert.Regexp(t, `src="/assets/[^"]+\.js"`, m, "scripts are files of this origin")
	}
	assert.NotRegexp(t, `(?i)\son[a-z]+\s*=`, html, "no inline event handlers")
	assert.NotRegexp(t, `(?i)\sstyle\s*=`, html, "no style attributes")
	assert.NotContains(t, html, "<style", "no inline style sheets")
	js, err := fs.Glob(Assets(), "*.js")
	require.NoError(t, err)
	forbidden := regexp.MustCompile(`\beval\(|new Function\(|document\.write|setAttribute\(\s*'style'|setTimeout\(\s*['"]`)
	for _, f := range js {
		b, err := fs.ReadFile(Assets(), f)
		require.NoError(t, err)
		assert.Empty(t, forbidden.FindAllString(string(b), -1), "%s needs what the CSP forbids", f)
	}
}

// TestNavigationHasRoutes checks that every page linked from the
// navigation has a route in app.js, whose view module is embedded.
func TestNavigationHasRoutes(t *testing.T) {
	idx, err := fs.ReadFile(Assets(), "index.html")
	require.NoError(t, err)
	app, err := fs.ReadFile(Assets(), "app.js")
	require.NoError(t, err)
	block := regexp.MustCompile(`(?s)const routes = \{(.*?)\n\};`).FindSubmatch(app)
	require.NotNil(t, block, "app.js declares its routes")
	routes := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*([a-z]+): ([A-Za-z]+),`).FindAllSubmatch(block[1], -1) {
		routes[string(m[1])] = string(m[2])
	}
	nav := regexp.MustCompile(`<a href="#/([a-z]+)" data-nav="([a-z]+)">`).FindAllStringSubmatch(string(idx), -1)
	require.NotEmpty(t, nav)
	var pages []string
	for _, m := range nav {
		assert.Equal(t, m[1], m[2], "nav link and data-nav name the same page")
		pages = append(pages, m[1])
		view, ok := routes[m[1]]
		if !assert.True(t, ok, "page %s has no route in app.js", m[1]) {
			continue
		}
		if view == "loginView" {
			continue
		}
		imp := regexp.MustCompile(`import \{[^}]*\b` + view + `\b[^}]*\} from '\./([a-z]+\.js)'`).FindSubmatch(app)
		if assert.NotNil(t, imp, "app.js imports %s", view) {
			mod, err := fs.ReadFile(Assets(), string(imp[1]))
			require.NoError(t, err)
			assert.Contains(t, string(mod), "export async function "+view+"(", "%s exports %s", imp[1], view)
		}
	}
	assert.Subset(t, pages, []string{"customers", "funnels", "experience", "segments", "alerts", "retention", "paths"})
}

func TestAssetName(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"/", "index.html", true},
		{"/index.html", "index.html", true},
		{"/assets/app.js", "app.js", true},
		{"/assets/", "", false},
		{"/assets/./app.js", "", false},
		{"/assets//app.js", "", false},
		{"/api/v1/customers", "", false},
		{"/favicon.ico", "", false},
	}
	for _, tc := range tests {
		got, ok := assetName(tc.in)
		assert.Equal(t, tc.ok, ok, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}
