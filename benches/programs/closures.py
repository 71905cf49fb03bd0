# Closures: creating many small closures and calling them, a closure that updates
# a captured variable of its enclosing function, and a higher-order map over a
# list with a fresh closure each round.
# Same algorithm and parameters as closures.newt and closures.lua.
import time


def make_counter(start):
    count = start

    def counter():
        nonlocal count
        count = count + 1
        return count

    return counter


def map_list(xs, f):
    out = []
    for x in xs:
        out.append(f(x))
    return out


def main():
    counters = 1000000
    adds = 3000000
    rounds = 4000

    start = time.perf_counter()
    total = 0

    # 1. Many small closures, each with its own captured counter.
    for i in range(counters):
        c = make_counter(i)
        c()
        c()
        total = total + c()

    # 2. A closure that updates a variable of this function (captured by reference).
    def add(x):
        nonlocal total
        total = total + x

    for i in range(adds):
        add(i % 10)

    # 3. Higher-order map; each round's closure captures that round's k.
    xs = []
    for i in range(1000):
        xs.append(i)
    for r in range(rounds):
        k = r % 7
        ys = map_list(xs, lambda x: x * k + 1)
        total = total + ys[0] + ys[len(ys) - 1]

    print(total)
    print("elapsed: %.6f" % (time.perf_counter() - start))


main()
