package httpapi

import (
	"fmt"
	"strconv"
	"strings"
)

// csvCell formats v for a CSV export: numbers and booleans as they are (an
// integer -1 stays -1, so spreadsheets read it as a number), everything
// else as text through csvText.
func csvCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return csvText(x)
	case []string:
		return csvText(strings.Join(x, "; "))
	default:
		return csvText(fmt.Sprint(x))
	}
}

// csvText defuses spreadsheet formulas (CSV injection): a text cell that
// starts with = + - @, a tab or a carriage return gets a leading
// apostrophe, which spreadsheets show as text instead of evaluating.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
