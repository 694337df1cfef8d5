package events

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// parseSeeds are documents at the edges of JSON and of goccy/go-json.
var parseSeeds = []string{
	`{"type":"track","userId":"u","event":"A","properties":{"a":[1,-0,2.5e3,{"b":null}],"t":true,"f":false},"context":{}}`,
	`[]`, `{}`, `{"a":[]}`, `{"a":1,"a":2}`, `"\u00e9\/\"\\\b\f\n\r\t"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\udead x"`, `"\ud83d\u0041"`,
	`01`, `1.`, `-`, `[1,]`, `{"a":1,}`, "\"a\x01\"", `1e400`, `1e-400`, `-0`, `"\x"`, `tru`, `nul`, ` {"a" :1 } `,
	`123456789012345678901234567890`, `1E5`, `1e+5`, `{"a":1} x`, `{"a":1}{}`, `"\u0000"`, `{"\u0074ype":1}`,
	"\t\r\n [ 1 , 2 ] \n", `[[[[[[[[[[]]]]]]]]]]`, `{"é":"ü"}`, `"<&>\u2028"`,
}

func FuzzParseDoc(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		assertParseMatchesGoccy(t, b)
	})
}

func TestParseDocMatchesGoccy(t *testing.T) {
	for _, s := range parseSeeds {
		assertParseMatchesGoccy(t, []byte(s))
	}
	if _, ok := parseDoc([]byte(parseSeeds[0])); !ok {
		t.Fatal("an ordinary event must take the fast path")
	}
}

// assertParseMatchesGoccy: what parseDoc accepts, goccy/go-json decodes
// to the same value.
func assertParseMatchesGoccy(t *testing.T, b []byte) {
	t.Helper()
	if !utf8.Valid(b) {
		return // decodeDoc refuses it before parsing
	}
	v, ok := parseDoc(b)
	if !ok {
		return
	}
	want, err := decodeDocGoccy(b)
	if err != nil {
		t.Fatalf("%q: parseDoc accepted, goccy: %v", b, err)
	}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("%q: parseDoc %#v, goccy %#v", b, v, want)
	}
	// fromDoc re-encodes such values: marshalValue must write what
	// json.Marshal writes.
	got, err := marshalValue(v)
	std, stdErr := json.Marshal(v)
	if err != nil || stdErr != nil || !bytes.Equal(got, std) {
		t.Fatalf("%q: marshalValue %s (%v), json.Marshal %s (%v)", b, got, err, std, stdErr)
	}
}

func TestMarshalValueMatchesEncodingJSON(t *testing.T) {
	for _, v := range []any{
		json.Number(""), json.Number("01"), json.Number("1x"), []any(nil), map[string]any(nil), float64(1.5), int(3),
		map[string]any{"b": []any{json.Number("1"), "<", nil}, "a": map[string]any{}, "\u2028": true},
	} {
		got, err := marshalValue(v)
		std, stdErr := json.Marshal(v)
		if (err != nil) != (stdErr != nil) || !bytes.Equal(got, std) {
			t.Fatalf("%#v: marshalValue %s (%v), json.Marshal %s (%v)", v, got, err, std, stdErr)
		}
	}
}
