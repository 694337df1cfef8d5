// Package servicelevel reports service response and resolution times per
// ticket channel from "Ticket Opened", "Ticket Replied" and "Ticket
// Resolved" events (joined by ticket_id), against per-channel targets.
//
// A ticket's channel is the ticket_channel of its opening event (else of
// any of its events, else the event channel). Response time is the first
// reply after opening minus the opening time; resolution time is the first
// resolution minus the opening time. Tickets count in the period in which
// they were opened.
package servicelevel
