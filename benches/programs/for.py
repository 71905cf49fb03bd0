# For loops (Wren's for.wren, repeated): append 0..N-1 to a fresh list, then sum it
# by iterating over the list; ROUNDS times.
# Same algorithm and parameters as for.newt and for.lua.
import time


def main():
    n = 1000000
    rounds = 12

    start = time.perf_counter()
    total = 0
    for _ in range(rounds):
        lst = []
        for i in range(n):
            lst.append(i)
        for i in lst:
            total += i

    print(total)
    print("elapsed: %.6f" % (time.perf_counter() - start))


main()
