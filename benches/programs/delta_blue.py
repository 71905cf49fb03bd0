# DeltaBlue (the Octane / Wren port of John Maloney and Mario Wolczko's
# benchmark): an incremental one-way constraint solver with a class hierarchy of
# constraints, virtual calls and super calls, lists and object identity.
# Same algorithm and parameters as delta_blue.newt and delta_blue.lua. Values are
# integers (the scale constraint's backward direction divides exactly).
#
# "The DeltaBlue Algorithm: An Incremental Constraint Hierarchy Solver",
# Bjorn N. Freeman-Benson and John Maloney, CACM, January 1990.
import time


# Strengths: the relative importance of constraints. Lower value is stronger.
class Strength:
    def __init__(self, value, name):
        self.value = value
        self.name = name

    def next_weaker(self):
        return ORDERED[self.value]


REQUIRED = Strength(0, "required")
STRONG_PREFERRED = Strength(1, "strongPreferred")
PREFERRED = Strength(2, "preferred")
STRONG_DEFAULT = Strength(3, "strongDefault")
NORMAL = Strength(4, "normal")
WEAK_DEFAULT = Strength(5, "weakDefault")
WEAKEST = Strength(6, "weakest")

ORDERED = [WEAKEST, WEAK_DEFAULT, NORMAL, STRONG_DEFAULT, PREFERRED, STRONG_PREFERRED]


def stronger(s1, s2):
    return s1.value < s2.value


def weaker(s1, s2):
    return s1.value > s2.value


def weakest_of(s1, s2):
    if weaker(s1, s2):
        return s1
    return s2


planner = None  # the current Planner


# Constraint: the abstract base class.
class Constraint:
    def __init__(self, strength):
        self.strength = strength

    def add_constraint(self):
        self.add_to_graph()
        planner.incremental_add(self)

    # Attempt to find a way to enforce this constraint. Answer the constraint that
    # this one overrides, or None. Assume: not already satisfied.
    def satisfy(self, mark):
        self.choose_method(mark)
        if not self.is_satisfied():
            if self.strength is REQUIRED:
                print("Could not satisfy a required constraint!")
            return None
        self.mark_inputs(mark)
        out = self.output()
        overridden = out.determined_by
        if overridden is not None:
            overridden.mark_unsatisfied()
        out.determined_by = self
        if not planner.add_propagate(self, mark):
            print("Cycle encountered")
        out.mark = mark
        return overridden

    def destroy_constraint(self):
        if self.is_satisfied():
            planner.incremental_remove(self)
        self.remove_from_graph()

    def is_input(self):
        return False


# UnaryConstraint: a single possible output variable.
class UnaryConstraint(Constraint):
    def __init__(self, my_output, strength):
        super().__init__(strength)
        self.my_output = my_output
        self.satisfied = False
        self.add_constraint()

    def add_to_graph(self):
        self.my_output.add_constraint(self)
        self.satisfied = False

    def choose_method(self, mark):
        self.satisfied = self.my_output.mark != mark and stronger(self.strength, self.my_output.walk_strength)

    def is_satisfied(self):
        return self.satisfied

    def mark_inputs(self, mark):
        pass  # no inputs

    def output(self):
        return self.my_output

    def recalculate(self):
        self.my_output.walk_strength = self.strength
        self.my_output.stay = not self.is_input()
        if self.my_output.stay:
            self.execute()  # stay optimization

    def mark_unsatisfied(self):
        self.satisfied = False

    def inputs_known(self, mark):
        return True

    def remove_from_graph(self):
        self.my_output.remove_constraint(self)
        self.satisfied = False


# StayConstraint: a variable that should, with some preference, stay the same.
class StayConstraint(UnaryConstraint):
    def execute(self):
        pass  # stay constraints do nothing


# EditConstraint: a variable that the client wishes to change.
class EditConstraint(UnaryConstraint):
    def is_input(self):
        return True

    def execute(self):
        pass  # edit constraints do nothing


# Directions of a binary constraint.
NONE = 1
FORWARD = 2
BACKWARD = 0


# BinaryConstraint: two possible output variables.
class BinaryConstraint(Constraint):
    def __init__(self, v1, v2, strength):
        super().__init__(strength)
        self.v1 = v1
        self.v2 = v2
        self.direction = NONE
        self.add_constraint()

    # Decide if this constraint can be satisfied and which way it should flow.
    # (The first two tests are overwritten by the third, as in the original.)
    def choose_method(self, mark):
        if self.v1.mark == mark:
            if self.v2.mark != mark and stronger(self.strength, self.v2.walk_strength):
                self.direction = FORWARD
            else:
                self.direction = NONE
        if self.v2.mark == mark:
            if self.v1.mark != mark and stronger(self.strength, self.v1.walk_strength):
                self.direction = BACKWARD
            else:
                self.direction = NONE
        if weaker(self.v1.walk_strength, self.v2.walk_strength):
            if stronger(self.strength, self.v1.walk_strength):
                self.direction = BACKWARD
            else:
                self.direction = NONE
        else:
            if stronger(self.strength, self.v2.walk_strength):
                self.direction = FORWARD
            else:
                self.direction = BACKWARD

    def add_to_graph(self):
        self.v1.add_constraint(self)
        self.v2.add_constraint(self)
        self.direction = NONE

    def is_satisfied(self):
        return self.direction != NONE

    def mark_inputs(self, mark):
        self.input().mark = mark

    def input(self):
        if self.direction == FORWARD:
            return self.v1
        return self.v2

    def output(self):
        if self.direction == FORWARD:
            return self.v2
        return self.v1

    def recalculate(self):
        ihn = self.input()
        out = self.output()
        out.walk_strength = weakest_of(self.strength, ihn.walk_strength)
        out.stay = ihn.stay
        if out.stay:
            self.execute()

    def mark_unsatisfied(self):
        self.direction = NONE

    def inputs_known(self, mark):
        i = self.input()
        return i.mark == mark or i.stay or i.determined_by is None

    def remove_from_graph(self):
        self.v1.remove_constraint(self)
        self.v2.remove_constraint(self)
        self.direction = NONE


# ScaleConstraint: v2 = v1 * scale + offset, in either direction.
class ScaleConstraint(BinaryConstraint):
    def __init__(self, src, scale, offset, dest, strength):
        self.scale = scale
        self.offset = offset
        super().__init__(src, dest, strength)

    def add_to_graph(self):
        super().add_to_graph()
        self.scale.add_constraint(self)
        self.offset.add_constraint(self)

    def remove_from_graph(self):
        super().remove_from_graph()
        self.scale.remove_constraint(self)
        self.offset.remove_constraint(self)

    def mark_inputs(self, mark):
        super().mark_inputs(mark)
        self.scale.mark = mark
        self.offset.mark = mark

    def execute(self):
        if self.direction == FORWARD:
            self.v2.value = self.v1.value * self.scale.value + self.offset.value
        else:
            self.v1.value = (self.v2.value - self.offset.value) // self.scale.value

    def recalculate(self):
        ihn = self.input()
        out = self.output()
        out.walk_strength = weakest_of(self.strength, ihn.walk_strength)
        out.stay = ihn.stay and self.scale.stay and self.offset.stay
        if out.stay:
            self.execute()


# EqualityConstraint: two variables have the same value.
class EqualityConstraint(BinaryConstraint):
    def execute(self):
        self.output().value = self.input().value


# Variable: a constrained variable and its place in the constraint graph.
class Variable:
    def __init__(self, name, value):
        self.constraints = []
        self.determined_by = None
        self.mark = 0
        self.walk_strength = WEAKEST
        self.stay = True
        self.name = name
        self.value = value

    def add_constraint(self, c):
        self.constraints.append(c)

    # Removes all traces of c from this variable.
    def remove_constraint(self, c):
        kept = []
        for x in self.constraints:
            if x is not c:
                kept.append(x)
        self.constraints = kept
        if self.determined_by is c:
            self.determined_by = None


# Plan: an ordered list of constraints to execute in sequence.
class Plan:
    def __init__(self):
        self.list = []

    def add_constraint(self, c):
        self.list.append(c)

    def size(self):
        return len(self.list)

    def execute(self):
        for c in self.list:
            c.execute()


# Planner: the incremental solver.
class Planner:
    def __init__(self):
        self.current_mark = 0

    # Attempt to satisfy c and, if successful, incrementally update the dataflow graph.
    def incremental_add(self, c):
        mark = self.new_mark()
        overridden = c.satisfy(mark)
        while overridden is not None:
            overridden = overridden.satisfy(mark)

    # Retract c and resatisfy the constraints downstream of it, strongest first.
    def incremental_remove(self, c):
        out = c.output()
        c.mark_unsatisfied()
        c.remove_from_graph()
        unsatisfied = self.remove_propagate_from(out)
        strength = REQUIRED
        while True:
            for u in unsatisfied:
                if u.strength is strength:
                    self.incremental_add(u)
            strength = strength.next_weaker()
            if strength is WEAKEST:
                break

    def new_mark(self):
        self.current_mark += 1
        return self.current_mark

    # Extract a plan for resatisfaction starting from the given source constraints.
    def make_plan(self, sources):
        mark = self.new_mark()
        plan = Plan()
        todo = sources
        while len(todo) > 0:
            c = todo.pop()
            if c.output().mark != mark and c.inputs_known(mark):
                plan.add_constraint(c)
                c.output().mark = mark
                self.add_constraints_consuming_to(c.output(), todo)
        return plan

    # Extract a plan for resatisfying starting from the outputs of the given constraints.
    def extract_plan_from_constraints(self, constraints):
        sources = []
        for c in constraints:
            if c.is_input() and c.is_satisfied():
                sources.append(c)
        return self.make_plan(sources)

    # Recompute walkabout strengths and stay flags downstream of c. Answer False
    # (after removing c) when a cycle is found.
    def add_propagate(self, c, mark):
        todo = [c]
        while len(todo) > 0:
            d = todo.pop()
            if d.output().mark == mark:
                self.incremental_remove(c)
                return False
            d.recalculate()
            self.add_constraints_consuming_to(d.output(), todo)
        return True

    # Update walkabout strengths and stay flags downstream of out; answer the
    # unsatisfied constraints found.
    def remove_propagate_from(self, out):
        out.determined_by = None
        out.walk_strength = WEAKEST
        out.stay = True
        unsatisfied = []
        todo = [out]
        while len(todo) > 0:
            v = todo.pop()
            for c in v.constraints:
                if not c.is_satisfied():
                    unsatisfied.append(c)
            determining = v.determined_by
            for nxt in v.constraints:
                if nxt is not determining and nxt.is_satisfied():
                    nxt.recalculate()
                    todo.append(nxt.output())
        return unsatisfied

    def add_constraints_consuming_to(self, v, coll):
        determining = v.determined_by
        for c in v.constraints:
            if c is not determining and c.is_satisfied():
                coll.append(c)


total = 0


# A long chain of equality constraints with a stay constraint on one end and an
# edit constraint on the other; values propagate down the whole chain.
def chain_test(n):
    global planner, total
    planner = Planner()
    prev = None
    first = None
    last = None
    for i in range(n + 1):
        v = Variable("v", 0)
        if prev is not None:
            EqualityConstraint(prev, v, REQUIRED)
        if i == 0:
            first = v
        if i == n:
            last = v
        prev = v
    StayConstraint(last, STRONG_DEFAULT)
    edit = EditConstraint(first, PREFERRED)
    plan = planner.extract_plan_from_constraints([edit])
    for i in range(100):
        first.value = i
        plan.execute()
        total = total + last.value


def change(v, new_value):
    edit = EditConstraint(v, PREFERRED)
    plan = planner.extract_plan_from_constraints([edit])
    for _ in range(10):
        v.value = new_value
        plan.execute()
    edit.destroy_constraint()


# Two sets of variables related by a linear transformation (scale and offset);
# change a variable on either side and the scale and offset.
def projection_test(n):
    global planner, total
    planner = Planner()
    scale = Variable("scale", 10)
    offset = Variable("offset", 1000)
    src = None
    dst = None
    dests = []
    for i in range(n):
        src = Variable("src", i)
        dst = Variable("dst", i)
        dests.append(dst)
        StayConstraint(src, NORMAL)
        ScaleConstraint(src, scale, offset, dst, REQUIRED)

    change(src, 17)
    total = total + dst.value
    if dst.value != 1170:
        print("Projection 1 failed")

    change(dst, 1050)
    total = total + src.value
    if src.value != 5:
        print("Projection 2 failed")

    change(scale, 5)
    for i in range(n - 1):
        total = total + dests[i].value
        if dests[i].value != i * 5 + 1000:
            print("Projection 3 failed")

    change(offset, 2000)
    for i in range(n - 1):
        total = total + dests[i].value
        if dests[i].value != i * 5 + 2000:
            print("Projection 4 failed")


def main():
    iterations = 200

    start = time.perf_counter()
    for _ in range(iterations):
        chain_test(100)
        projection_test(100)

    print(total)
    print("elapsed: %.6f" % (time.perf_counter() - start))


main()
