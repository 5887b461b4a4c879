package freight

import (
	"math/rand/v2"
	"strconv"
)

// NewAlias returns a random <adjective>-<animal> alias, e.g. mortal-dragonfly, for which taken
// reports false. After many taken tries it appends a number (mortal-dragonfly-42), so it always
// returns. taken is called from the calling goroutine only.
func NewAlias(taken func(alias string) bool) string {
	const plainTries = 100
	for i := 0; ; i++ {
		a := adjectives[rand.IntN(len(adjectives))] + "-" + animals[rand.IntN(len(animals))]
		if i >= plainTries {
			a += "-" + strconv.Itoa(rand.IntN(10*i))
		}
		if !taken(a) {
			return a
		}
	}
}

var adjectives = []string{
	"agile", "amber", "brave", "bright", "calm", "clever", "cosmic", "crimson", "curious", "daring",
	"eager", "electric", "fancy", "fearless", "fluffy", "gentle", "giddy", "golden", "happy", "hasty",
	"humble", "icy", "jolly", "keen", "kind", "lively", "lucky", "mellow", "mighty", "mortal",
	"nimble", "noble", "patient", "plucky", "polite", "proud", "quick", "quiet", "rapid", "serene",
	"shiny", "silent", "sleepy", "snappy", "steady", "sunny", "swift", "tidy", "witty", "zesty",
}

var animals = []string{
	"albatross", "alpaca", "badger", "beaver", "bison", "bobcat", "camel", "cheetah", "cobra", "coyote",
	"crane", "dingo", "dolphin", "dragonfly", "eagle", "falcon", "ferret", "flamingo", "gazelle", "gecko",
	"gopher", "heron", "hedgehog", "ibex", "iguana", "jaguar", "kangaroo", "koala", "lemur", "lynx",
	"marmot", "meerkat", "narwhal", "ocelot", "octopus", "otter", "panda", "pelican", "penguin", "puffin",
	"quokka", "raccoon", "salmon", "sparrow", "tapir", "toucan", "urchin", "walrus", "wombat", "yak",
}
