# Recursive Fibonacci: function calls, integer compare and arithmetic.
# Same algorithm and parameters as fib.newt and fib.lua.
import time


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def main():
    start = time.perf_counter()
    for _ in range(5):
        print(fib(32))
    print("elapsed: %.6f" % (time.perf_counter() - start))


main()
