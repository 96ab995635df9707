import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Topic } from '@parley/common';
import type { EventBatch } from '@parley/kafka';
import { type ImageUploadedEnvelope, ImageProcessService } from './image-process.service';

/** Thin Kafka consumer (its own group, parley.storage.images): uploads in, processed images out. */
@Controller()
export class ImageProcessConsumer {
  constructor(private readonly images: ImageProcessService) {}

  @EventPattern(Topic.Images)
  async onImageUploaded(@Payload() batch: EventBatch<ImageUploadedEnvelope>): Promise<void> {
    await this.images.process(batch.events);
  }
}
