package apierr

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a client-facing error.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// Code is a stable snake_case identifier, e.g. "invalid_parameter".
	Code string
	// Message explains the problem in one sentence.
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// BadParam returns a 400 invalid_parameter error naming the parameter.
func BadParam(param, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_parameter", Message: param + ": " + fmt.Sprintf(format, args...)}
}

// NotFound returns a 404 not_found error.
func NotFound(format string, args ...any) *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf(format, args...)}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
