import { Controller, Get, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ZodValidationPipe } from '@parley/common';
import {
  IMAGE_SERVED_TYPE,
  type ImageParams,
  imageParamsSchema,
  type ImageUploadAnswer,
} from '@parley/protocol';
import type { Request, Response } from 'express';
import { JwtAuthGuard } from '../accounts/auth.guards';
import type { AuthenticatedPrincipal } from '../accounts/jwt.strategy';
import { CurrentUser } from '../accounts/request-context';
import { ImageAccessService } from './image-access.service';
import { drainRefusedBody } from './drain-refused-body';
import { ImageUploadService } from './image-upload.service';

/**
 * `POST /v1/images` (the raw image as the body) and `GET /v1/images/{imageId}/{variant}`. Thin:
 * the upload and access services decide.
 */
@Controller('v1/images')
@UseGuards(JwtAuthGuard)
export class ImagesController {
  constructor(
    private readonly uploads: ImageUploadService,
    private readonly access: ImageAccessService,
  ) {}

  @Post()
  @HttpCode(201)
  async upload(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ImageUploadAnswer> {
    try {
      const image = await this.uploads.upload(principal.userId, {
        contentType: req.headers['content-type'],
        contentLength: req.headers['content-length'],
        body: req,
      });
      return { image };
    } catch (err) {
      // Refused before its body was read to the end: the rest is read off (bounded) after the
      // refusal is written, so the client reads the refusal rather than a reset connection.
      drainRefusedBody(req, res, this.uploads.refusedBodyLimits);
      throw err;
    }
  }

  @Get(':imageId/:variant')
  async fetch(
    @CurrentUser() principal: AuthenticatedPrincipal,
    @Param(new ZodValidationPipe(imageParamsSchema)) params: ImageParams,
    @Res() res: Response,
  ): Promise<void> {
    const content = await this.access.read(principal.userId, params.imageId, params.variant);
    res.setHeader('Content-Type', IMAGE_SERVED_TYPE);
    // An image's bytes never change under its id; only this user may have them.
    res.setHeader('Cache-Control', 'private, max-age=86400, immutable');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    res.status(200).end(content);
  }
}
