import { Module } from '@nestjs/common';
import { BLOB_STORE_PROVIDER } from '@parley/common';
import { ImageProcessConsumer } from './image-process.consumer';
import { ImageProcessService } from './image-process.service';
import { ImageWorkerProcess } from './image-worker.process';
import { ImagesRepository } from './images.repository';

/** Image processing: uploads staged by the gateways become the served versions and a row. */
@Module({
  controllers: [ImageProcessConsumer],
  providers: [BLOB_STORE_PROVIDER, ImagesRepository, ImageWorkerProcess, ImageProcessService],
})
export class ImagesModule {}
