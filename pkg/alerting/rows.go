package alerting

import "time"

// Columns are the columns of table alerts that Row fills, in order.
var Columns = []string{"alert_id", "customer_id", "reason", "severity", "message", "action", "details",
	"trigger_id", "trigger_ms", "raised_at", "raised_ms", "version"}

// Row returns a's row of table alerts (Columns order) with version (the
// ReplacingMergeTree version: the highest of one alert id is kept).
func Row(a Alert, version uint64) []any {
	details := a.Details
	if details == nil {
		details = []string{}
	}
	return []any{a.ID, a.CustomerID, a.Reason, a.Severity, a.Message, a.Action, details, a.TriggerID, a.TriggerAt.UnixMilli(),
		a.RaisedAt.UTC().Truncate(time.Second), a.RaisedAt.UnixMilli(), version}
}

// Columnar returns the rows of alerts as one typed slice per column
// (Columns order), the form of a native ClickHouse block insert; version
// gives each alert's version.
func Columnar(alerts []Alert, version func(Alert) uint64) []any {
	n := len(alerts)
	var (
		ids, customers, reasons, sevs, msgs, actions, triggers = make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		details           = make([][]string, n)
		triggerMs, raised = make([]int64, n), make([]int64, n)
		raisedAt          = make([]time.Time, n)
		versions          = make([]uint64, n)
	)
	for i, a := range alerts {
		r := Row(a, version(a))
		ids[i], customers[i], reasons[i], sevs[i], msgs[i], actions[i] = r[0].(string), r[1].(string), r[2].(string), r[3].(string), r[4].(string), r[5].(string)
		details[i], triggers[i], triggerMs[i], raisedAt[i], raised[i], versions[i] = r[6].([]string), r[7].(string), r[8].(int64), r[9].(time.Time), r[10].(int64), r[11].(uint64)
	}
	return []any{ids, customers, reasons, sevs, msgs, actions, details, triggers, triggerMs, raisedAt, raised, versions}
}
