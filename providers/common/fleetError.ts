/**
 * Base of every error a provider throws (the transport's and the planners'). Inside a dynamic provider
 * these classes run as Pulumi's closure serializer rewrote them: `super(message)` becomes `Error.call(this, message)`, which sets nothing on
 * `this`, and a subclass's prototype no longer reaches Error's. Without the explicit fields below the engine
 * receives an object without `message` and prints "Unknown Error".
 */
export class FleetError extends Error {
  constructor(message: string, name: string) {
    super(message);
    // The serializer links a subclass's prototype to ours only when the subclass declares methods.
    const own: object | null = Object.getPrototypeOf(this);
    if (!(this instanceof FleetError) && own !== null && own !== Object.prototype) {
      Object.setPrototypeOf(own, FleetError.prototype);
    }
    this.message = message;
    this.name = name;
    if (typeof this.stack !== "string") {
      Error.captureStackTrace(this, this.constructor);
    }
  }

  toString(): string {
    return `${this.name}: ${this.message}`;
  }
}
