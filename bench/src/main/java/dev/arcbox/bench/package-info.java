/** Benchmarks of arcbox on real microVMs; run with {@code make bench}, never part of {@code make test}. */
package dev.arcbox.bench;
