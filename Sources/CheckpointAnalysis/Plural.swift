/// A count with its noun, plural unless the count is 1: `1 process`, `2 processes`, `3 entries`.
/// Every message of the analyses and the tool counts with it, so plurals are right everywhere.
package func plural<N: BinaryInteger>(_ count: N, _ noun: String, _ plural: String? = nil) -> String {
    "\(count) " + (count == 1 ? noun : plural ?? pluralForm(noun))
}

/// The English plural of a noun the tool prints (`process` → `processes`, `entry` → `entries`).
package func pluralForm(_ noun: String) -> String {
    if noun.hasSuffix("s") || noun.hasSuffix("x") || noun.hasSuffix("ch") || noun.hasSuffix("sh") { return noun + "es" }
    if noun.hasSuffix("y"), let before = noun.dropLast().last, !"aeiou".contains(before) { return noun.dropLast() + "ies" }
    return noun + "s"
}
