// The supportAccess resource's provider as the engine stores it: a reference to this module (see ../common/packaged.ts).
import { lazyProvider } from "../common/lazyProvider";

export = lazyProvider("supportAccess");
