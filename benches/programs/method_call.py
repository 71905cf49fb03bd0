# Method calls (Wren's method_call.wren): dynamic dispatch, an overriding method
# and a super call, methods returning self.
# Same algorithm and parameters as method_call.newt and method_call.lua.
import time


class Toggle:
    def __init__(self, start_state):
        self.state = start_state

    def value(self):
        return self.state

    def activate(self):
        self.state = not self.state
        return self


class NthToggle(Toggle):
    def __init__(self, start_state, max_counter):
        super().__init__(start_state)
        self.count_max = max_counter
        self.count = 0

    def activate(self):
        self.count += 1
        if self.count >= self.count_max:
            super().activate()
            self.count = 0
        return self


def show(b):
    return "true" if b else "false"


def main():
    start = time.perf_counter()
    n = 400000
    val = True
    toggle = Toggle(val)

    for _ in range(n):
        val = toggle.activate().value()
        val = toggle.activate().value()
        val = toggle.activate().value()
        val = toggle.activate().value()
        val = toggle.activate().value()
        val = toggle.activate().value()
        val = toggle.activate().value()
        val = toggle.activate().value()
        val = toggle.activate().value()
        val = toggle.activate().value()

    print(show(toggle.value()))

    val = True
    ntoggle = NthToggle(val, 3)

    for _ in range(n):
        val = ntoggle.activate().value()
        val = ntoggle.activate().value()
        val = ntoggle.activate().value()
        val = ntoggle.activate().value()
        val = ntoggle.activate().value()
        val = ntoggle.activate().value()
        val = ntoggle.activate().value()
        val = ntoggle.activate().value()
        val = ntoggle.activate().value()
        val = ntoggle.activate().value()

    print(show(ntoggle.value()))
    print("elapsed: %.6f" % (time.perf_counter() - start))


main()
