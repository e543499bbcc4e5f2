// A Go program that spends its time in one known function, for
// test_profile_symbols.sh: built stripped (-ldflags=-s -w), it has no
// .symtab, and only the runtime's .gopclntab can name main.hotLoop.
package main

import (
	"fmt"
	"os"
)

//go:noinline
func hotLoop(n int) float64 {
	x := 0.0
	for i := 0; i < n; i++ {
		x += float64(i%7) * 1.0001
	}
	return x
}

func main() {
	total := 0.0
	for {
		total += hotLoop(1 << 20)
		if total < 0 { // never: keeps the loop's result alive
			fmt.Fprintln(os.Stderr, total)
		}
	}
}
