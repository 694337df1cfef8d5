// Package experience reports survey scores and experience signals per
// touchpoint, channel, source or period, each with its number of answers n
// and whether n reaches the configured minimum:
//
//   - nps: "NPS Submitted" scores 0-10; % promoters (9-10) minus %
//     detractors (0-6)
//   - csat: "CSAT Submitted" scores 1-5; % of answers 4 or 5
//   - ces: "CES Submitted" scores 1-7; mean
//   - experience: mean signal weight (-1..1) of events that carry a signal
//
// It also compares the journeys that precede detractor and promoter NPS
// answers.
package experience
