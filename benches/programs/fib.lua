-- Recursive Fibonacci: function calls, integer compare and arithmetic.
-- Same algorithm and parameters as fib.newt and fib.py.

local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

local start = os.clock()
for _ = 1, 5 do
  print(fib(32))
end
print(string.format("elapsed: %.6f", os.clock() - start))
