// Package maintest tests a service's real start path: the test binary
// re-executes itself and its TestMain calls the service's main function
// with a chosen environment, so configuration loading, validation and the
// exit status are the ones a deployment sees.
//
//	func TestMain(m *testing.M) {
//		maintest.Dispatch[app.Config](main)
//		os.Exit(m.Run())
//	}
package maintest
