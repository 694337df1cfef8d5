package httpjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// ErrorBody is the 500 answer Write sends when v cannot be encoded; it has
// the query service's error shape ({"error":{"code","message"}}).
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the error object of ErrorBody.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ErrEncode marks the error Write returns when the value could not be
// encoded; the 500 answer has been written then, so a caller must not write
// another one (errors.Is(err, ErrEncode)).
var ErrEncode = errors.New("encode answer")

// Write encodes v as JSON into memory and then writes it with status code,
// Content-Type application/json and Content-Length. When v cannot be
// encoded (a non-finite float, a channel, a failing MarshalJSON), nothing
// of v is written: the answer is 500 with an ErrorBody (code "internal")
// and the encoding error is returned for the caller to log.
func Write(w http.ResponseWriter, code int, v any) error {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		err = fmt.Errorf("%w: %w", ErrEncode, err)
		b, _ := json.Marshal(ErrorBody{Error: ErrorDetail{Code: "internal", Message: "the answer could not be encoded as JSON"}})
		send(w, http.StatusInternalServerError, append(b, '\n'))
		return err
	}
	send(w, code, buf.Bytes())
	return nil
}

func send(w http.ResponseWriter, code int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	_, _ = w.Write(b)
}
