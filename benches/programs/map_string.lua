-- String-keyed map (after Wren's map_string.wren): build "adverb adjective animal"
-- keys, then ROUNDS times insert every key with its index, read them all back and
-- sum, then remove them. Building the keys is outside the timed part.
-- Same algorithm, word lists and parameters as map_string.newt and map_string.py.

local adverbs = {
  "barely", "fairly", "hardly", "mostly", "nearly", "quite", "really", "very",
}

local adjectives = {
  "able", "bold", "brave", "bright", "calm", "clever", "cold", "crisp", "damp", "dark",
  "eager", "early", "faint", "fancy", "fierce", "gentle", "giant", "glad", "grand", "green",
  "happy", "heavy", "hollow", "humble", "icy", "jolly", "keen", "kind", "lazy", "little",
  "lively", "loud", "lucky", "mellow", "merry", "mighty", "narrow", "noble", "odd", "plain",
}

local animals = {
  "ant", "badger", "bat", "bear", "beaver", "bison", "camel", "cat", "cobra", "crab",
  "crane", "crow", "deer", "dingo", "dog", "dove", "duck", "eagle", "eel", "elk",
  "emu", "falcon", "ferret", "finch", "fox", "frog", "gecko", "goat", "goose", "hare",
  "hawk", "heron", "horse", "ibis", "jackal", "koala", "lemur", "lion", "llama", "lynx",
  "mole", "moose", "mouse", "newt", "otter", "owl", "panda", "quail", "raven", "seal",
}

local keys = {}
for _, animal in ipairs(animals) do
  for _, adjective in ipairs(adjectives) do
    for _, adverb in ipairs(adverbs) do
      keys[#keys + 1] = adverb .. " " .. adjective .. " " .. animal
    end
  end
end

local rounds = 200

local start = os.clock()

local sum = 0
for _ = 1, rounds do
  local map = {}
  local i = 0
  for _, key in ipairs(keys) do
    map[key] = i
    i = i + 1
  end

  for _, key in ipairs(keys) do
    sum = sum + map[key]
  end

  for _, key in ipairs(keys) do
    map[key] = nil
  end
end

print(sum)
print(string.format("elapsed: %.6f", os.clock() - start))
