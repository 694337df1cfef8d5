package events

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Every schema of schemas/events gets a check: otherwise every event would
// take the library's (slower) path.
func TestEverySchemaHasACheck(t *testing.T) {
	v := testValidator(t)
	if v.envelope.check == nil {
		t.Error("envelope: no check")
	}
	for name, c := range v.byType {
		if c.check == nil {
			t.Errorf("type %s: no check", name)
		}
	}
	for name, c := range v.reserved {
		if c.check == nil {
			t.Errorf("%s: no check", name)
		}
	}
}

func testValidator(t testing.TB) *Validator {
	t.Helper()
	v, err := DefaultValidator()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// assertCheckAgrees fails when the check's verdict on doc contradicts the
// library's: "valid" must mean valid, "invalid" must mean invalid.
func assertCheckAgrees(t *testing.T, what string, c compiled, doc any) {
	t.Helper()
	if c.check == nil {
		return
	}
	libValid := c.schema.Validate(doc) == nil
	switch c.check.eval(doc, 0) {
	case valid:
		if !libValid {
			b, _ := json.Marshal(doc)
			t.Fatalf("%s: check says valid, library invalid: %s", what, b)
		}
	case invalid:
		if libValid {
			b, _ := json.Marshal(doc)
			t.Fatalf("%s: check says invalid, library valid: %s", what, b)
		}
	}
}

// assertAllChecksAgree runs doc through every schema (the envelope of each
// type and the root envelope, every reserved schema).
func assertAllChecksAgree(t *testing.T, v *Validator, doc any) {
	t.Helper()
	assertCheckAgrees(t, "envelope", v.envelope, doc)
	for name, c := range v.byType {
		assertCheckAgrees(t, name, c, doc)
	}
	props := doc
	if m, ok := doc.(map[string]any); ok && m["properties"] != nil {
		props = m["properties"]
	}
	for name, c := range v.reserved {
		assertCheckAgrees(t, name, c, props)
	}
}

func schemaDoc(t testing.TB, s string) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(s))
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

// checkSeeds are events and property sets near the schemas' edges.
var checkSeeds = []string{
	`{"type":"track","messageId":"m","anonymousId":"a","userId":"u","event":"Product Viewed","timestamp":"2026-05-01T12:00:00Z",` +
		`"properties":{"product_id":"p","name":"n","price":89.9,"category":"c"},"context":{"library":{"name":"a","version":"1"},` +
		`"page":{"path":"/","url":"u","referrer":"r","title":"t"},"userAgent":"ua","locale":"de","campaign":{"name":"s","source":"n","medium":"e"},"channel":"web"}}`,
	`{"type":"identify","userId":"u","traits":{"email":"x"},"context":{"app":{"build":3,"name":"x"},"device":{"type":"ios"},"os":{"name":"iOS"}}}`,
	`{"type":"alias","userId":"u","previousId":"p"}`,
	`{"type":"group","userId":1,"groupId":2.5}`,
	`{"type":"page","anonymousId":"","userId":"u","name":null,"category":null,"sentAt":null}`,
	`{"type":"screen","anonymousId":"a","context":null,"properties":null,"integrations":{"All":false}}`,
	`{"type":"nope","userId":"u"}`,
	`{"userId":"u","event":""}`,
	`{"score":9,"comment":"great"}`, `{"score":11}`, `{"score":10.0}`, `{"score":1e1}`, `{"score":-0}`, `{"score":0.5}`,
	`{"score":99999999999999999999}`, `{"score":"9"}`, `{"score":4}`, `{"score":0}`, `{"score":7}`, `{"score":8}`,
	`{"text":"slow delivery","rating":2}`, `{}`,
	`{"order_id":"o1","revenue":99.5,"currency":"EUR","products":[{"product_id":"p1","price":99.5,"quantity":1}]}`,
	`{"order_id":"o1","revenue":-1,"currency":"EURO","products":[{"quantity":-1}]}`, `{"order_id":"","products":[1]}`,
	`{"products":[]}`, `{"products":"none"}`, `{"revenue":0,"currency":"eur"}`,
	`{"ticket_id":"t1","channel":"phone"}`, `{"ticket_id":"t1","channel":"pigeon"}`, `{"ticket_id":""}`,
	`{"contract_id":"c1","end_date":"2027-03-31"}`, `{"contract_id":"c1","end_date":"next year"}`,
	`{"contract_id":"c1","end_date":"2028-03-31T00:00:00Z"}`, `{"contract_id":"c1","reason":"price"}`,
	`{"program":"club","tier":"gold"}`, `{"points":100}`, `{"points":0}`, `{"points":-5}`, `{"points":1e-400}`,
	`{"referral_id":"r1","referred_user_id":"u9"}`, `{"referral_id":7}`, `{"error_code":500,"message":"oops"}`,
	`{"message":false}`, `{"order_id":"o1","amount":20}`, `{"amount":"20"}`, `{"text":"rude agent","channel":"phone"}`,
	`{"reward":"voucher","value":10}`, `{"value":-10}`, `[]`, `null`, `"x"`, `1`,
}

// checkVariants replace a value of a seed, one key at a time.
var checkVariants = []string{
	`null`, `true`, `false`, `0`, `-1`, `1.5`, `10`, `11`, `1e3`, `""`, `"x"`, `"web"`, `"track"`, `"` + strings.Repeat("é", 201) + `"`,
	`[]`, `[1,"a",{}]`, `{}`, `{"name":1}`, `{"path":"/","x":[]}`,
}

func TestCheckAgreesWithLibrary(t *testing.T) {
	v := testValidator(t)
	variants := make([]any, len(checkVariants))
	for i, s := range checkVariants {
		variants[i] = schemaDoc(t, s)
	}
	for _, seed := range checkSeeds {
		doc := schemaDoc(t, seed)
		assertAllChecksAgree(t, v, doc)
		// Each key of the seed and of its objects replaced by each variant,
		// and removed.
		if m, ok := doc.(map[string]any); ok {
			mutateSub(t, v, m, m, variants)
		}
	}
}

func mutateSub(t *testing.T, v *Validator, root, m map[string]any, variants []any) {
	for k, old := range m {
		for _, nv := range variants {
			m[k] = nv
			assertAllChecksAgree(t, v, root)
		}
		delete(m, k)
		assertAllChecksAgree(t, v, root)
		m[k] = old
		switch sub := old.(type) {
		case map[string]any:
			mutateSub(t, v, root, sub, variants)
		case []any:
			for _, e := range sub {
				if em, ok := e.(map[string]any); ok {
					mutateSub(t, v, root, em, variants)
				}
			}
		}
	}
}

// FuzzCheck compares the checks with the library on arbitrary JSON.
func FuzzCheck(f *testing.F) {
	for _, s := range checkSeeds {
		f.Add([]byte(s))
	}
	v := testValidator(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return
		}
		assertAllChecksAgree(t, v, doc)
	})
}
