/* The project's C for libyara: its headers, and accessors for the fields and iteration macros
   (yr_rule_strings_foreach and friends, DECLARE_REFERENCE unions) Swift cannot use directly. */
#ifndef CKPT_CLIBYARA_SHIM_H
#define CKPT_CLIBYARA_SHIM_H

#include <stdint.h>
#include <string.h>
#include <yara.h>

/* Rules. */
static inline const char *ckpt_yr_rule_identifier(const YR_RULE *rule) { return rule->identifier; }
static inline const char *ckpt_yr_rule_namespace(const YR_RULE *rule) { return rule->ns->name; }
/* The tags: NUL-separated, ending with an empty one (or NULL). */
static inline const char *ckpt_yr_rule_tags(const YR_RULE *rule) { return rule->tags; }
static inline const YR_META *ckpt_yr_rule_metas(const YR_RULE *rule) { return rule->metas; }
static inline const YR_STRING *ckpt_yr_rule_strings(const YR_RULE *rule) { return rule->strings; }

/* Metadata: an array whose last entry is flagged. */
static inline int ckpt_yr_meta_is_last(const YR_META *meta) { return META_IS_LAST_IN_RULE(meta) ? 1 : 0; }
static inline const char *ckpt_yr_meta_identifier(const YR_META *meta) { return meta->identifier; }
static inline const char *ckpt_yr_meta_string(const YR_META *meta) { return meta->string; }
static inline int ckpt_yr_meta_type(const YR_META *meta) { return meta->type; }
static inline int ckpt_yr_meta_type_integer(void) { return META_TYPE_INTEGER; }
static inline int ckpt_yr_meta_type_string(void) { return META_TYPE_STRING; }
static inline int ckpt_yr_meta_type_boolean(void) { return META_TYPE_BOOLEAN; }

/* Strings: an array whose last entry is flagged. */
static inline int ckpt_yr_string_is_last(const YR_STRING *s) { return STRING_IS_LAST_IN_RULE(s) ? 1 : 0; }
static inline int ckpt_yr_string_is_private(const YR_STRING *s) { return STRING_IS_PRIVATE(s) ? 1 : 0; }
static inline int ckpt_yr_string_is_hex(const YR_STRING *s) { return STRING_IS_HEX(s) ? 1 : 0; }
static inline const char *ckpt_yr_string_identifier(const YR_STRING *s) { return s->identifier; }
static inline uint32_t ckpt_yr_string_index(const YR_STRING *s) { return s->idx; }

/* The matches a scanner holds for a string (yr_string_matches_foreach). */
static inline const YR_MATCH *ckpt_yr_string_matches(YR_SCANNER *scanner, const YR_STRING *s) {
    return scanner->matches[s->idx].head;
}
static inline int32_t ckpt_yr_match_count(YR_SCANNER *scanner, uint32_t string_index) {
    return scanner->matches[string_index].count;
}
/* Stops collecting matches of a string, as libyara does itself at YR_MAX_STRING_MATCHES. */
static inline void ckpt_yr_disable_string(YR_SCANNER *scanner, uint32_t string_index) {
    yr_bitmask_set(scanner->strings_temp_disabled, string_index);
}

/* Every string of the rules: their number, and the longest literal (for the overlap between blocks). */
static inline uint32_t ckpt_yr_rules_string_count(const YR_RULES *rules) { return rules->num_strings; }
static inline int32_t ckpt_yr_rules_longest_string(const YR_RULES *rules) {
    int32_t longest = 0;
    uint32_t count = ckpt_yr_rules_string_count(rules);
    for (uint32_t i = 0; i < count; i++) {
        if (rules->strings_table[i].length > longest) longest = rules->strings_table[i].length;
    }
    return longest;
}
static inline uint32_t ckpt_yr_rules_count(const YR_RULES *rules) { return rules->num_rules; }

/* Constants (some are expressions Swift does not import). */
static inline int ckpt_yr_scan_flags(int process_memory) {
    return SCAN_FLAGS_REPORT_RULES_MATCHING | SCAN_FLAGS_NO_TRYCATCH | (process_memory ? SCAN_FLAGS_PROCESS_MEMORY : 0);
}
static inline int ckpt_yr_re_scan_limit(void) { return YR_RE_SCAN_LIMIT; }
static inline int ckpt_yr_max_string_matches(void) { return YR_MAX_STRING_MATCHES; }

#endif
