package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/cemhq/cem/pkg/httpjson"
	"github.com/cemhq/cem/services/query/internal/apierr"
)

// ClickHouse error codes mapped to client errors.
const (
	chTimeoutExceeded   = 159
	chTooManyRows       = 158
	chTooManyRowsBytes  = 396
	chMemoryLimit       = 241
	chTooSlow           = 160
	chQueryWasCancelled = 394
)

func writeError(w http.ResponseWriter, status int, code, msg string) {
	_ = httpjson.Write(w, status, httpjson.ErrorBody{Error: httpjson.ErrorDetail{Code: code, Message: msg}})
}

// classify maps an error to its HTTP status, code and message.
func classify(err error) (int, string, string) {
	if e, ok := apierr.As(err); ok {
		return e.Status, e.Code, e.Message
	}
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		switch ex.Code {
		case chTimeoutExceeded, chTooSlow, chQueryWasCancelled:
			return http.StatusGatewayTimeout, "query_timeout", "the query took longer than the configured limit; narrow the time range"
		case chTooManyRows, chTooManyRowsBytes:
			return http.StatusUnprocessableEntity, "result_too_large", "the result exceeds the configured limit; narrow the query"
		case chMemoryLimit:
			return http.StatusServiceUnavailable, "overloaded", "the query needs more memory than allowed; narrow the query"
		}
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return http.StatusGatewayTimeout, "query_timeout", "the query took longer than the configured limit; narrow the time range"
	}
	return http.StatusInternalServerError, "internal", "internal error"
}

// fail writes err as a JSON error and logs server-side failures.
func fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if errors.Is(err, httpjson.ErrEncode) {
		// The answer could not be encoded; httpjson.Write already answered 500.
		log.Error("request failed", "method", r.Method, "route", r.Pattern, "status", http.StatusInternalServerError, "err", err)
		return
	}
	if errors.Is(r.Context().Err(), context.Canceled) && !errors.Is(err, errSlowBody) {
		return // the client went away (a failed body read cancels the context too, but that client is still there)
	}
	status, code, msg := classify(err)
	if status == http.StatusInternalServerError && errors.Is(r.Context().Err(), context.DeadlineExceeded) {
		// The request's time limit ended the query (the driver reports a
		// socket deadline).
		status, code, msg = classify(context.DeadlineExceeded)
	}
	if status >= 500 {
		log.Error("request failed", "method", r.Method, "route", r.Pattern, "status", status, "err", err)
	}
	writeError(w, status, code, msg)
}
