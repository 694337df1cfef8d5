package httpjson

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWriteEncodesBeforeTheStatus(t *testing.T) {
	for _, tc := range []struct {
		name     string
		v        any
		wantCode int
		wantErr  bool
	}{
		{"plain", map[string]any{"revenue": 12.5}, http.StatusCreated, false},
		{"+Inf", map[string]any{"revenue": math.Inf(1)}, http.StatusInternalServerError, true},
		{"NaN in a nested struct", struct{ P struct{ X float64 } }{P: struct{ X float64 }{math.NaN()}}, http.StatusInternalServerError, true},
		{"channel", map[string]any{"c": make(chan int)}, http.StatusInternalServerError, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			err := Write(rec, http.StatusCreated, tc.v)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if rec.Code != tc.wantCode {
				t.Fatalf("status %d, want %d", rec.Code, tc.wantCode)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q", ct)
			}
			var got map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || len(got) == 0 {
				t.Fatalf("body %q is not a JSON object: %v", rec.Body.String(), err)
			}
			if tc.wantErr {
				var eb ErrorBody
				_ = json.Unmarshal(rec.Body.Bytes(), &eb)
				if eb.Error.Code != "internal" {
					t.Fatalf("error body %q", rec.Body.String())
				}
				if !errors.Is(err, ErrEncode) {
					t.Fatalf("err %v is not ErrEncode", err)
				}
				var ue *json.UnsupportedValueError
				var ut *json.UnsupportedTypeError
				if !errors.As(err, &ue) && !errors.As(err, &ut) {
					t.Fatalf("err %v does not wrap the encoder's error", err)
				}
			}
		})
	}
}
