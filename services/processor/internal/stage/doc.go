// Package stage defines what flows through the processor and the contract of
// a processing stage.
//
// The pipeline decodes a batch of Kafka messages into Events, lets every
// Stage load the state it lacks for the batch (Load), runs each Event through
// the stages in order (Process), collects each stage's rows (Drain), writes
// them to ClickHouse in one flush and, once every table write succeeded,
// tells the stages (Written) and commits the offsets. Stages run in a fixed
// order: identity (fills CustomerID), session (fills SessionID), timeline
// (the events table); a later stage such as profiles or scores appends
// itself to the list and sees every field filled by the earlier ones.
package stage
