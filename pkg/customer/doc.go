// Package customer defines the customer 360 profile's common fields once:
// the query service computes them from the events at request time
// (GET /api/v1/customers/{id}) and the processor's scorer stores them with
// its derived facts (customer_profiles.profile). Both views embed Profile,
// so a field has one name, one type and one unit everywhere.
package customer
