-- For loops (Wren's for.wren, repeated): append 0..N-1 to a fresh list, then sum it
-- by iterating over the list; ROUNDS times.
-- Same algorithm and parameters as for.newt and for.py.

local n = 1000000
local rounds = 12

local start = os.clock()
local sum = 0
for _ = 1, rounds do
  local list = {}
  for i = 0, n - 1 do
    list[#list + 1] = i
  end
  for _, i in ipairs(list) do
    sum = sum + i
  end
end

print(sum)
print(string.format("elapsed: %.6f", os.clock() - start))
