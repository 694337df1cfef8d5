package httpapi

// StatusOf exposes classify's status for tests.
func StatusOf(err error) int {
	s, _, _ := classify(err)
	return s
}
