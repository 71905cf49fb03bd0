-- Closures: creating many small closures and calling them, a closure that updates
-- a captured variable of its enclosing function, and a higher-order map over a
-- list with a fresh closure each round.
-- Same algorithm and parameters as closures.newt and closures.py.

local function make_counter(start)
  local count = start
  return function()
    count = count + 1
    return count
  end
end

local function map_list(xs, f)
  local out = {}
  for _, x in ipairs(xs) do
    out[#out + 1] = f(x)
  end
  return out
end

local function main()
  local counters = 1000000
  local adds = 3000000
  local rounds = 4000

  local start = os.clock()
  local total = 0

  -- 1. Many small closures, each with its own captured counter.
  for i = 0, counters - 1 do
    local c = make_counter(i)
    c()
    c()
    total = total + c()
  end

  -- 2. A closure that updates a variable of this function (captured by reference).
  local add = function(x)
    total = total + x
  end
  for i = 0, adds - 1 do
    add(i % 10)
  end

  -- 3. Higher-order map; each round's closure captures that round's k.
  local xs = {}
  for i = 0, 999 do
    xs[#xs + 1] = i
  end
  for r = 0, rounds - 1 do
    local k = r % 7
    local ys = map_list(xs, function(x) return x * k + 1 end)
    total = total + ys[1] + ys[#ys]
  end

  print(total)
  print(string.format("elapsed: %.6f", os.clock() - start))
end

main()
