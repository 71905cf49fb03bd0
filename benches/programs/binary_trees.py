# Binary trees (the Benchmarks Game, in the shape of Wren's binary_trees.wren):
# allocation of many small objects, recursion, field access.
# Same algorithm and parameters as binary_trees.newt and binary_trees.lua.
import time


class Tree:
    __slots__ = ("item", "left", "right")

    def __init__(self, item, left, right):
        self.item = item
        self.left = left
        self.right = right

    def check(self):
        if self.left is None:
            return self.item
        return self.item + self.left.check() - self.right.check()


def new_tree(item, depth):
    if depth > 0:
        item2 = item + item
        depth -= 1
        return Tree(item, new_tree(item2 - 1, depth), new_tree(item2, depth))
    return Tree(item, None, None)


def main():
    min_depth = 4
    max_depth = 13
    stretch_depth = max_depth + 1

    start = time.perf_counter()

    print("stretch tree of depth %d check: %d" % (stretch_depth, new_tree(0, stretch_depth).check()))

    long_lived_tree = new_tree(0, max_depth)

    iterations = 1
    for _ in range(max_depth):
        iterations *= 2

    depth = min_depth
    while depth < stretch_depth:
        check = 0
        for i in range(1, iterations + 1):
            check += new_tree(i, depth).check() + new_tree(-i, depth).check()
        print("%d trees of depth %d check: %d" % (iterations * 2, depth, check))
        iterations //= 4
        depth += 2

    print("long lived tree of depth %d check: %d" % (max_depth, long_lived_tree.check()))
    print("elapsed: %.6f" % (time.perf_counter() - start))


main()
