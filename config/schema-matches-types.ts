import type { configSchema } from './config-schema.js';
import type { ConfigWithDefaults } from './config-types.js';

/**
 * The settings' types are written by hand beside the schema that validates them; this makes the
 * compiler hold them in step. Every object the schema describes with `properties` (sections,
 * nested objects, array items) must name exactly the keys its type names: a setting added to,
 * renamed in or dropped from one side only fails the build, naming its path. Maps
 * (`additionalProperties` alone) are not compared; value types are not either.
 */
type Mismatches<S, T, At extends string> = S extends { readonly properties: infer P }
  ? NonNullable<T> extends infer O
    ? O extends readonly unknown[]
      ? At
      : O extends object
        ?
            | `${At}.${Exclude<keyof P, keyof O> & string} (in the schema only)`
            | `${At}.${Exclude<keyof O, keyof P> & string} (in the type only)`
            | { [K in keyof P & keyof O & string]: Mismatches<P[K], O[K], `${At}.${K}`> }[keyof P &
                keyof O &
                string]
        : At
    : never
  : S extends { readonly items: infer I }
    ? NonNullable<T> extends readonly (infer E)[]
      ? Mismatches<I, E, `${At}[]`>
      : At
    : never;

type NoMismatch<M extends never> = M;

export type ConfigSchemaMatchesTypes = NoMismatch<
  Mismatches<typeof configSchema, ConfigWithDefaults, 'config'>
>;
