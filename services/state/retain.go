package state

// DefaultKeepPromotions is how many finished Promotions each Stage keeps by default: as many
// as Kargo's garbage collector spares per Stage (its MAX_RETAINED_PROMOTIONS, 20, in
// akuity/kargo internal/garbage/collector.go).
const DefaultKeepPromotions = 20
