declare const bodyType: unique symbol;

/**
 * One bus topic's contract: its name, the schema its bodies are checked against
 * (schemas/messages/), and the TypeScript type of a body that passed. Publishers and consumers
 * both name the same value, so a body's shape is written down once; the bus checks every body
 * against the schema on publish and on delivery, which is what makes the type true.
 */
export interface Topic<Name extends string = string, Body = unknown> {
  readonly name: Name;
  /** The file under schemas/messages/ whose `x-sluice-topics` includes this name. */
  readonly schemaFile: string;
  /** Never set: carries the body type for `BodyOf`. */
  readonly [bodyType]?: Body;
}

export type BodyOf<T> = T extends Topic<string, infer Body> ? Body : never;

/**
 * `defineTopic<Body>()('name')`: the body type is given, the name is inferred as a literal so a
 * handler of several topics narrows its body by `message.topic`.
 */
export function defineTopic<Body>() {
  return <const Name extends string>(name: Name, schemaFile = `${name}.json`): Topic<Name, Body> =>
    Object.freeze({ name, schemaFile });
}
