package sink

import (
	"context"
	"errors"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/cenkalti/backoff/v5"
)

// Backoff is an exponential backoff policy (with jitter, from
// github.com/cenkalti/backoff).
type Backoff struct {
	// Initial is the first wait. Default 100 ms.
	Initial time.Duration
	// Max caps the wait. Default 5 s.
	Max time.Duration
}

func (b Backoff) policy() *backoff.ExponentialBackOff {
	p := backoff.NewExponentialBackOff()
	p.InitialInterval, p.MaxInterval = 100*time.Millisecond, 5*time.Second
	if b.Initial > 0 {
		p.InitialInterval = b.Initial
	}
	if b.Max > 0 {
		p.MaxInterval = b.Max
	}
	return p
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that retrying cannot fix (a rejected statement,
// a block that does not fit the table): Retry returns it at once.
func Permanent(err error) error {
	if err == nil || IsPermanent(err) {
		return err
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err (or an error it wraps) was marked
// Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// Retry calls fn until it returns nil, a Permanent error, or ctx ends,
// waiting with exponential backoff between attempts; there is no limit on
// attempts or elapsed time (a ClickHouse or Kafka outage is waited out).
// onErr (may be nil) sees every retried failure with the attempt number (1
// for the first). Retry returns the permanent error, or ctx's error when it
// gives up.
func Retry(ctx context.Context, b Backoff, fn func(context.Context) error, onErr func(err error, attempt int)) error {
	attempt := 0
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		attempt++
		err := fn(ctx)
		if IsPermanent(err) {
			return struct{}{}, backoff.Permanent(err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(b.policy()), backoff.WithMaxElapsedTime(0), backoff.WithNotify(func(err error, _ time.Duration) {
		if onErr != nil {
			onErr(err, attempt)
		}
	}))
	if err != nil && !IsPermanent(err) && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// permanentCodes are the ClickHouse exception codes of a statement or data
// that is wrong in itself: retrying the same insert or query cannot succeed.
// Everything else (network errors, timeouts, too many parts, memory limits,
// read-only replicas, unavailable shards) is retried.
var permanentCodes = map[int32]bool{
	6:   true, // CANNOT_PARSE_TEXT
	10:  true, // NOT_FOUND_COLUMN_IN_BLOCK
	16:  true, // NO_SUCH_COLUMN_IN_TABLE
	27:  true, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
	36:  true, // BAD_ARGUMENTS
	42:  true, // NUMBER_OF_ARGUMENTS_DOESNT_MATCH
	43:  true, // ILLEGAL_TYPE_OF_ARGUMENT
	44:  true, // ILLEGAL_COLUMN
	46:  true, // UNKNOWN_FUNCTION
	47:  true, // UNKNOWN_IDENTIFIER
	48:  true, // NOT_IMPLEMENTED
	53:  true, // TYPE_MISMATCH
	60:  true, // UNKNOWN_TABLE
	62:  true, // SYNTAX_ERROR
	70:  true, // CANNOT_CONVERT_TYPE
	81:  true, // UNKNOWN_DATABASE
	115: true, // UNKNOWN_SETTING
	164: true, // READONLY (the user may not write)
	184: true, // ILLEGAL_AGGREGATION
	192: true, // UNKNOWN_USER
	193: true, // WRONG_PASSWORD
	215: true, // NOT_AN_AGGREGATE
	352: true, // AMBIGUOUS_COLUMN_NAME
	497: true, // ACCESS_DENIED
	516: true, // AUTHENTICATION_FAILED
}

// Classify marks err Permanent when ClickHouse rejected the statement itself
// (see permanentCodes); other errors are returned unchanged, to be retried.
func Classify(err error) error {
	var ex *clickhouse.Exception
	if errors.As(err, &ex) && permanentCodes[ex.Code] {
		return Permanent(err)
	}
	return err
}
