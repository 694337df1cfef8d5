// Package kafkaload preloads cem.events with generated events as the
// collector writes them: events.Marshal values, the customer key as record
// key, header cem-v: 1.
package kafkaload
