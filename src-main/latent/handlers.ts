import type { MethodInputParsed } from '../../src-shared/api';
import { latentMethodNames, type LatentMethodName } from '../../src-shared/latent';
import type { Handlers } from '../api/dispatcher';
import type { LatentService } from './service';

/**
 * The latent views' API handlers: every latent method of the contract goes, validated, to the latent process under
 * its own name; results come back as they are (images as Uint8Array). Spread into the dispatcher's handler table.
 */

export type LatentHandlers = Pick<Handlers, LatentMethodName>;

export function createLatentHandlers(service: LatentService): LatentHandlers {
  const forward =
    <M extends LatentMethodName>(method: M) =>
    (input: MethodInputParsed<M>) =>
      service.request(method, input);
  return Object.fromEntries(latentMethodNames.map((method) => [method, forward(method)])) as LatentHandlers;
}
