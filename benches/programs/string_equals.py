# String equality (Wren's string_equals.wren): compare equal and unequal string
# literals of several lengths in a loop. Wren's `"123" == 123` (a string against a
# number) is not well-typed in Newt, so it is `"123" == "321"` in all three versions.
# Same algorithm and parameters as string_equals.newt and string_equals.lua.
import time


def main():
    start = time.perf_counter()

    count = 0
    for _ in range(8000000):
        if "abc" == "abc":
            count += 1
        if "a slightly longer string" == "a slightly longer string":
            count += 1
        if ("a significantly longer string but still not overwhelmingly long string" ==
                "a significantly longer string but still not overwhelmingly long string"):
            count += 1

        if "" == "abc":
            count += 1
        if "abc" == "abcd":
            count += 1
        if "changed one character" == "changed %ne character":
            count += 1
        if "123" == "321":
            count += 1
        if "a slightly longer string" == "a slightly longer string!":
            count += 1
        if "a slightly longer string" == "a slightly longer strinh":
            count += 1
        if "a significantly longer string but still not overwhelmingly long string" == "another":
            count += 1

    print(count)
    print("elapsed: %.6f" % (time.perf_counter() - start))


main()
