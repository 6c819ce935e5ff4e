/*
 * Functions banned from tpwallet sources; included last in every .c file so a use
 * anywhere after it fails to compile. Each has a safer replacement:
 *   strcpy/strcat/sprintf/vsprintf -> snprintf or explicit lengths (no overruns)
 *   strtok                         -> strtok_r or a hand-written scanner (no hidden state)
 *   atoi/atol/atoll                -> tpw_u128_from_dec or strtoul with checks (errors)
 *   gmtime/localtime/ctime         -> gmtime_r (no shared static buffer)
 *   rand/srand                     -> struct tpw_prng (seeded, reproducible)
 *   system                         -> nothing: no shell from the engine
 * tools/tidy also rejects these textually, so a file that forgets to include this
 * header is still caught.
 */
#ifndef TPW_BANNED_H
#define TPW_BANNED_H

#define TPW_BANNED(func) sorry_##func##_is_banned_see_src_base_banned_h

#undef strcpy
#define strcpy(...) TPW_BANNED(strcpy)
#undef strcat
#define strcat(...) TPW_BANNED(strcat)
#undef sprintf
#define sprintf(...) TPW_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) TPW_BANNED(vsprintf)
#undef strtok
#define strtok(...) TPW_BANNED(strtok)
#undef atoi
#define atoi(...) TPW_BANNED(atoi)
#undef atol
#define atol(...) TPW_BANNED(atol)
#undef atoll
#define atoll(...) TPW_BANNED(atoll)
#undef gmtime
#define gmtime(...) TPW_BANNED(gmtime)
#undef localtime
#define localtime(...) TPW_BANNED(localtime)
#undef ctime
#define ctime(...) TPW_BANNED(ctime)
#undef rand
#define rand(...) TPW_BANNED(rand)
#undef srand
#define srand(...) TPW_BANNED(srand)
#undef system
#define system(...) TPW_BANNED(system)

#endif /* TPW_BANNED_H */
