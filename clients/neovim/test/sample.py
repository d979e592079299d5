def mean(values):
    total = 0
    for v in values:
        total += v
    return total / len(values)


def add(a, b):
    return a + b
