-- String equality (Wren's string_equals.wren): compare equal and unequal string
-- literals of several lengths in a loop. Wren's `"123" == 123` (a string against a
-- number) is not well-typed in Newt, so it is `"123" == "321"` in all three versions.
-- Same algorithm and parameters as string_equals.newt and string_equals.py.

local start = os.clock()

local count = 0
for _ = 1, 8000000 do
  if "abc" == "abc" then count = count + 1 end
  if "a slightly longer string" ==
      "a slightly longer string" then count = count + 1 end
  if "a significantly longer string but still not overwhelmingly long string" ==
      "a significantly longer string but still not overwhelmingly long string" then count = count + 1 end

  if "" == "abc" then count = count + 1 end
  if "abc" == "abcd" then count = count + 1 end
  if "changed one character" == "changed %ne character" then count = count + 1 end
  if "123" == "321" then count = count + 1 end
  if "a slightly longer string" ==
      "a slightly longer string!" then count = count + 1 end
  if "a slightly longer string" ==
      "a slightly longer strinh" then count = count + 1 end
  if "a significantly longer string but still not overwhelmingly long string" ==
      "another" then count = count + 1 end
end

print(count)
print(string.format("elapsed: %.6f", os.clock() - start))
