# Integer-keyed map (Wren's map_numeric.wren): insert N int keys, read them all
# back and sum, then remove them. The keys are i * 7 rather than i (see the Lua
# version: dense keys would not exercise Lua's hash part).
# Same algorithm and parameters as map_numeric.newt and map_numeric.lua.
import time


def main():
    n = 2000000

    start = time.perf_counter()

    m = {}
    for i in range(1, n + 1):
        m[i * 7] = i

    total = 0
    for i in range(1, n + 1):
        total += m[i * 7]
    print(total)

    for i in range(1, n + 1):
        del m[i * 7]

    print("elapsed: %.6f" % (time.perf_counter() - start))


main()
