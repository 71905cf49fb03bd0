# String-keyed map (after Wren's map_string.wren): build "adverb adjective animal"
# keys, then ROUNDS times insert every key with its index, read them all back and
# sum, then remove them. Building the keys is outside the timed part.
# Same algorithm, word lists and parameters as map_string.newt and map_string.lua.
import time

adverbs = [
    "barely", "fairly", "hardly", "mostly", "nearly", "quite", "really", "very",
]

adjectives = [
    "able", "bold", "brave", "bright", "calm", "clever", "cold", "crisp", "damp", "dark",
    "eager", "early", "faint", "fancy", "fierce", "gentle", "giant", "glad", "grand",
    "green", "happy", "heavy", "hollow", "humble", "icy", "jolly", "keen", "kind", "lazy",
    "little", "lively", "loud", "lucky", "mellow", "merry", "mighty", "narrow", "noble",
    "odd", "plain",
]

animals = [
    "ant", "badger", "bat", "bear", "beaver", "bison", "camel", "cat", "cobra", "crab",
    "crane", "crow", "deer", "dingo", "dog", "dove", "duck", "eagle", "eel", "elk", "emu",
    "falcon", "ferret", "finch", "fox", "frog", "gecko", "goat", "goose", "hare", "hawk",
    "heron", "horse", "ibis", "jackal", "koala", "lemur", "lion", "llama", "lynx", "mole",
    "moose", "mouse", "newt", "otter", "owl", "panda", "quail", "raven", "seal",
]


def main():
    keys = []
    for animal in animals:
        for adjective in adjectives:
            for adverb in adverbs:
                keys.append(adverb + " " + adjective + " " + animal)

    rounds = 200

    start = time.perf_counter()

    total = 0
    for _ in range(rounds):
        m = {}
        i = 0
        for key in keys:
            m[key] = i
            i += 1

        for key in keys:
            total += m[key]

        for key in keys:
            del m[key]

    print(total)
    print("elapsed: %.6f" % (time.perf_counter() - start))


main()
